class ActionRefused(Exception):
    """The user may see the objects but may not take this action, or the object is not in
    a state that allows it. `str(error)` is the message for the user; nothing changed."""
