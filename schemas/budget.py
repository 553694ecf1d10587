"""Visual token budgets: how many soft tokens a visual job may spend on one image."""

from typing import Literal, TypeGuard, get_args

VisualBudget = Literal[70, 140, 280, 560, 1120]
"""The `max_soft_tokens` values Gemma 4's image processor accepts."""

VISUAL_BUDGETS: tuple[VisualBudget, ...] = get_args(VisualBudget)
"""All budgets, smallest first."""


def is_visual_budget(value: object) -> TypeGuard[VisualBudget]:
    """Whether `value` is one of the five budgets (an int, not a bool or a float)."""
    return type(value) is int and value in VISUAL_BUDGETS
