"""A small calculator for the chat bot's !calc command."""

from calc.errors import CalcError
from calc.evaluator import evaluate

__all__ = ["CalcError", "evaluate"]
