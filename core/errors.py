class ActionRefused(Exception):
    """The user may see the objects but may not take this action, or the object is not in
    a state that allows it. `str(error)` is the message for the user; `code` says the same
    for a program (the API's error code: stable, unlike the wording); nothing changed."""

    def __init__(self, message: str, code: str = "action_refused") -> None:
        super().__init__(message)
        self.code = code
