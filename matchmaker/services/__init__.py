"""Use cases: load models, call engines, persist, notify. Routes and commands call these."""


class ServiceError(Exception):
    """A use case refused: the message is translated and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
