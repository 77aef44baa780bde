"""Keyword lists (English and Korean) the analyzer and the recommender read.

Spelling rules for an entry: a trailing `*` matches any word starting with it (`frustrat*`);
an entry with a space is a phrase of whole words; an entry with Hangul or symbols matches as a
substring (Korean particles attach to words, so word boundaries do not help there); anything
else matches one whole word.
"""

from __future__ import annotations

# fmt: off
TONE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "urgent": (
        "urgent*", "asap", "immediately", "emergency", "right now", "right away", "quickly",
        "hurry", "as soon as", "deadline*", "critical", "outage", "is down", "blocker",
        "by tomorrow", "by tonight", "by friday", "by monday", "by end of day", "tonight",
        "급해", "급합", "급하", "빨리", "당장", "긴급", "지금 바로", "서둘러",
    ),
    "frustrated": (
        "frustrat*", "annoy*", "stuck", "hate", "ugh", "argh", "keeps failing", "still not",
        "doesn't work", "does not work", "won't work", "not working", "sick of", "tired of",
        "fed up", "again and again", "useless", "exhausted", "burned out", "burnt out",
        "burning out", "burnout", "upset", "angry", "ignored", "ignores",
        "답답", "지쳤", "지쳐", "힘들", "짜증", "안 돼", "안돼",
        "왜 안", "안 돌아", "화나", "미치겠", "자꾸",
    ),
    "anxious": (
        "worr*", "anxious", "anxiety", "nervous", "afraid", "scared", "fear*", "stress*",
        "panic*", "overwhelm*", "what if", "terrified", "sad", "lonely", "insecure",
        "invisible", "self-doubt", "imposter", "impostor",
        "걱정", "불안", "무서", "두려", "긴장", "스트레스", "떨려",
    ),
    "confused": (
        "confus*", "don't understand", "do not understand", "doesn't make sense",
        "makes no sense", "i'm lost", "i am lost", "feel lost", "unclear", "puzzl*",
        "not sure what", "no idea", "baffl*",
        "헷갈", "모르겠", "이해가 안", "이해 안", "혼란", "뭐가 뭔지",
    ),
    "playful": (
        "haha*", "lol", "lmao", "fun", "funny", "joke*", "hehe", "silly", "excit*", "yay",
        "awesome", "woohoo", "hooray", "celebrat*",
        ":)", ":d", ";)", "😄", "😂", "🤣", "😆", "🎉", "😜",
        "ㅋㅋ", "ㅎㅎ", "재밌", "재미있", "장난", "신나",
    ),
    "collaborative": (
        "team*", "together", "collaborat*", "colleague*", "let's", "let us", "pair up",
        "stakeholder*", "cowork*", "everyone",
        "팀", "함께", "같이", "협업", "협력", "우리", "동료",
    ),
    "analytical": (
        "analy*", "data", "metric*", "measur*", "compar*", "statistic*", "benchmark*",
        "numbers", "percent*", "trend*", "correlat*", "evaluat*", "dashboard*", "latency",
        "분석", "데이터", "지표", "비교", "통계", "수치", "측정", "결과", "리포트",
    ),
    "curious": (
        "curious", "wonder*", "interest*", "how does", "how do", "why does", "what is",
        "what's", "intrigu*", "explore",
        "궁금", "혹시", "신기", "어떻게",
    ),
    "calm": (
        "calm", "no rush", "no hurry", "whenever", "relax*", "peaceful", "take your time",
        "steady", "fine", "thank*",
        "천천히", "괜찮", "여유", "차분", "편하게",
    ),
}

INTENT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "seek_advice": (
        "advice", "advise", "recommend*", "suggest*", "should i", "should we", "what would you",
        "what do you think", "opinion", "any tips", "tips",
        "조언", "추천", "어떻게 해야", "어떡", "어쩌", "의견", "할까", "도와", "도움",
    ),
    "problem_solving": (
        "error*", "bug*", "fix*", "broken", "crash*", "fail*", "issue*", "debug*", "exception*",
        "doesn't work", "not working", "solve*", "troubleshoot*", "outage", "timeout*",
        "slow", "slower",
        "오류", "에러", "버그", "해결", "안 돼", "안돼", "고장", "실패", "장애", "문제", "느려",
    ),
    "learning": (
        "learn*", "explain*", "understand*", "what is", "how does", "how do", "teach*",
        "tutorial*", "concept*", "difference between",
        "배우", "알려", "설명", "이해", "공부", "개념", "뭐야", "무엇",
    ),
    "validation": (
        "is this right", "is it right", "is this correct", "correct*", "review*", "verify*",
        "validat*", "double-check", "double check", "does this look", "am i right", "confirm*",
        "sanity check",
        "맞나", "맞아", "맞는지", "검토", "확인", "검증", "괜찮을까", "리뷰", "피드백",
    ),
    "planning": (
        "plan", "plans", "planned", "planning", "roadmap*", "schedul*", "timeline*",
        "milestone*", "next steps", "next step", "who should", "who does what",
        "priorit*", "sprint*", "organize", "organise", "strategy",
        "계획", "일정", "로드맵", "우선순위", "전략", "준비",
    ),
    "reflection": (
        "reflect*", "looking back", "realiz*", "realis*", "lesson*", "i feel", "i felt",
        "i've been thinking", "retrospect*", "in hindsight", "grateful", "journey",
        "돌아보", "회고", "깨달", "느꼈", "느낌", "생각해보",
    ),
}

# What each persona is good at, for `recommend` and multi-persona answers.
PERSONA_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Lua": (
        "emotion*", "feel*", "creativ*", "empath*", "motivat*", "encourag*", "support",
        "burnout", "confidence", "stress*", "inspir*", "morale",
        "감정", "창의", "공감", "동기", "격려", "위로", "마음",
    ),
    "Elro": (
        "technical", "technology", "logic*", "structur*", "architect*", "code", "coding",
        "design", "implement*", "api", "refactor*", "algorithm*", "database", "system*",
        "기술", "논리", "구조", "설계", "코드", "아키텍처", "구현",
    ),
    "Riri": (
        "analy*", "data", "objective*", "metric*", "measur*", "statistic*", "quality",
        "test*", "benchmark*", "numbers", "dashboard*", "kpi*",
        "분석", "데이터", "객관", "지표", "품질", "통계", "측정",
    ),
    "Nana": (
        "collaborat*", "team*", "coordinat*", "process*", "stakeholder*", "document*",
        "meeting*", "communicat*", "plan*", "roadmap*", "schedul*", "onboard*",
        "협력", "팀", "조정", "협업", "프로세스", "문서", "회의", "일정",
    ),
}
# fmt: on
