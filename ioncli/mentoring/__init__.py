"""The mentoring pipeline: personas, routing, free-text analysis, prompts and responders.

Pure Python with no HTTP; `ion serve` wraps it. Start from `MentoringPipeline`.

    text or key -> analyzer (free text) / router.parse_* (key) -> router.route (216 precomputed)
                -> prompts (per-persona Jinja templates) -> responder (offline or a model)

Where it departs from the original service on purpose:
- Unknown tone, pace or intent raises InvalidInput naming the field and the valid values;
  `parse_key(..., lenient=True)` keeps the original's silent fall-backs for the v1 route.
- Free text gets all three parts from the analyzer (9 tones, 4 paces, 6 intents, English and
  Korean), never an intent the router does not know.
- Exact ties are broken in the documented order Lua, Elro, Riri, Nana after rounding scores to
  6 decimals, so float noise never decides one.
- Prompts are English (the personas keep their Korean names) and ask the model to answer in
  the user's language; the builder uses the parsed key as is (the original's builder turned
  `_` into `-` in the intent and so always fell back).
- A responder writes the answer when one is configured; any failure falls back to the prompt
  with `generated=False` and the reason, so a request never fails because a model did.
- `recommend` blends strength keywords with routing affinity; multi-persona answers ask every
  persona whose strengths the message names, concurrently.
"""

from __future__ import annotations

from ioncli.mentoring.models import InvalidInput
from ioncli.mentoring.pipeline import MentoringPipeline

__all__ = ["InvalidInput", "MentoringPipeline"]
