"""Free text -> tone, pace and intent (English and Korean), with evidence; always valid values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioncli.mentoring import MentoringPipeline
from ioncli.mentoring.models import Intent, Pace, Tone

pipeline = MentoringPipeline()


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("I'm so frustrated, this build keeps failing and I'm stuck.", Tone.FRUSTRATED),
        ("haha this is fun :) let me try something silly", Tone.PLAYFUL),
        ("I just got promoted!!! So excited to lead the team :)", Tone.PLAYFUL),
        ("I'm worried and nervous about tomorrow's demo.", Tone.ANXIOUS),
        ("Please compare the latency metrics across regions.", Tone.ANALYTICAL),
        ("No rush, take your time with it.", Tone.CALM),
        ("I'm curious how the cache decides what to evict.", Tone.CURIOUS),
        ("Production is down, we need this fixed immediately!!", Tone.URGENT),
        ("I'm confused, this makes no sense to me.", Tone.CONFUSED),
        ("Let's work on this together as a team.", Tone.COLLABORATIVE),
        ("Hello.", Tone.CALM),
        ("답답해요, 왜 안 되는지 모르겠어요", Tone.FRUSTRATED),
        ("ㅋㅋ 재밌네요", Tone.PLAYFUL),
        ("발표가 너무 걱정되고 불안해요", Tone.ANXIOUS),
        ("지난주 지표 데이터를 분석해 주세요", Tone.ANALYTICAL),
        ("천천히 여유 있게 해도 괜찮아요", Tone.CALM),
        ("이 기능이 궁금해요", Tone.CURIOUS),
        ("급해요!! 빨리 봐 주세요", Tone.URGENT),
        ("너무 헷갈려서 혼란스러워요", Tone.CONFUSED),
        ("우리 팀이 함께 협업하려면", Tone.COLLABORATIVE),
    ],
)
def test_every_tone_is_reachable_in_english_and_korean(text: str, tone: Tone) -> None:
    assert pipeline.analyze(text).tone is tone


@pytest.mark.parametrize(
    ("text", "pace"),
    [
        ("Help! Now! Please!", Pace.BURST),
        ("Fix it!! Now!!", Pace.BURST),
        ("How does the router pick a persona?", Pace.MEDIUM),
        (
            "I started the migration this morning. The first half went as planned. "
            "Then the replica fell behind and we paused it.",
            Pace.FLOWING,
        ),
        (
            "I have been thinking about how the last year went for the whole team and wondering "
            "whether the way we planned our work actually helped anyone in the end",
            Pace.CONTEMPLATIVE,
        ),
        ("Not sure. Maybe later...", Pace.CONTEMPLATIVE),
        ("우리 팀 회의와 문서화 프로세스를 개선하고 싶어요", Pace.MEDIUM),
        ("급해요!! 빨리요!!", Pace.BURST),
    ],
)
def test_every_pace_is_reachable(text: str, pace: Pace) -> None:
    analysis = pipeline.analyze(text)
    assert analysis.pace is pace
    assert analysis.pace_reason


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("What would you do? Any tips for my first talk?", Intent.SEEK_ADVICE),
        ("The deploy fails with a timeout error.", Intent.PROBLEM_SOLVING),
        ("Can you explain what a token bucket is?", Intent.LEARNING),
        ("Is this right? Please review my query.", Intent.VALIDATION),
        ("We need a roadmap and milestones for Q3.", Intent.PLANNING),
        ("Looking back, I realized the lesson was to ask earlier.", Intent.REFLECTION),
        ("어떻게 해야 할지 조언 부탁해요", Intent.SEEK_ADVICE),
        ("배포할 때 에러가 나요", Intent.PROBLEM_SOLVING),
        ("캐시 개념을 설명해 주세요", Intent.LEARNING),
        ("이 설정이 맞는지 검토해 주세요", Intent.VALIDATION),
        ("다음 분기 일정과 계획을 세우고 싶어요", Intent.PLANNING),
        ("지난 프로젝트를 돌아보며 회고해 봤어요", Intent.REFLECTION),
    ],
)
def test_every_intent_is_reachable(text: str, intent: Intent) -> None:
    assert pipeline.analyze(text).intent is intent


def test_without_intent_keywords_emotional_text_seeks_advice_and_other_text_learns() -> None:
    assert pipeline.analyze("I'm so nervous.").intent is Intent.SEEK_ADVICE
    assert pipeline.analyze("Tell me about the moon.").intent is Intent.LEARNING


def test_the_evidence_travels_with_the_result() -> None:
    analysis = pipeline.analyze("Why does it crash?? I'm stuck. Fix it!")
    assert analysis.sentence_count == 3
    assert analysis.avg_sentence_length == pytest.approx(8 / 3, abs=0.01)
    assert analysis.question_ratio == pytest.approx(1 / 3, abs=1e-3)
    assert analysis.exclamation_ratio == pytest.approx(1 / 3, abs=1e-3)
    assert 0 < analysis.punctuation_density < 1
    assert "stuck" in analysis.matched_keywords["tone:frustrated"]
    assert "??" in analysis.matched_keywords["signals"]
    assert "crash*" in analysis.matched_keywords["intent:problem_solving"]
    assert analysis.language == "en"
    assert pipeline.analyze("배포가 안 돼요").language == "ko"


def test_words_match_whole_words_not_parts_of_others() -> None:
    # "we" must not fire inside "answer", nor "fun" inside "function", nor "lost" in "lostness".
    analysis = pipeline.analyze("The answer is a function")
    assert "tone:collaborative" not in analysis.matched_keywords
    assert "tone:playful" not in analysis.matched_keywords


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_lands_on_valid_values(text: str) -> None:
    analysis = pipeline.analyze(text)
    assert analysis.tone in Tone
    assert analysis.pace in Pace
    assert analysis.intent in Intent
    assert 0 <= analysis.punctuation_density <= 1
    assert 0 <= analysis.question_ratio <= 1
    assert 0 <= analysis.exclamation_ratio <= 1
    assert 0 < analysis.tone_confidence <= 0.95
    pipeline.route(analysis.key)  # every derived key is one the router knows
