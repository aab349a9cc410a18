class CalcError(Exception):
    """Any problem with an expression; the message is shown to the user."""
