"""The mentoring pipeline: personas, routing, free-text analysis, prompts and responders.

Pure Python with no HTTP; `ion serve` wraps it. Start from `MentoringPipeline`.
"""

from __future__ import annotations

from ioncli.mentoring.models import InvalidInput
from ioncli.mentoring.pipeline import MentoringPipeline

__all__ = ["InvalidInput", "MentoringPipeline"]
