"""The one error hierarchy of newsdesk.

Every error a user can see derives from :class:`NewsdeskError` and carries a
human ``reason``. Families follow the resource they concern (feeds, articles,
storage, AI, configuration), as lemon24/reader's ``exceptions.py`` does, so the
CLI and the web layer can map a whole family to one message and status code.
In a batch, a per-item failure is one of these *values*, never a bare ``None``.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of every newsdesk error; ``str()`` is a one-line human reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self) -> tuple[object, ...]:
        # Subclasses take other constructor arguments than ``args`` holds; rebuild
        # from the instance's attributes so errors cross process boundaries intact.
        return (_restore_error, (type(self), self.__dict__.copy()))


def _restore_error(cls: type[NewsdeskError], state: dict[str, object]) -> NewsdeskError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("reason", ""))
    err.__dict__.update(state)
    return err


class ConfigError(NewsdeskError):
    """A setting has a bad value or the configuration file cannot be read."""


class StorageError(NewsdeskError):
    """The database failed; the driver error is chained as ``__cause__``."""


class NotFoundError(NewsdeskError):
    """A requested resource (source, article, category) does not exist."""


class AccountError(NewsdeskError):
    """A reader's account cannot do what was asked (a bad name or password, registration closed)."""


class NameTakenError(AccountError):
    """Another account already has this name (names are compared ignoring case)."""


class SignInError(AccountError):
    """Signing in failed. One message whether the name is unknown, the password wrong or the account
    disabled, so nobody learns which names exist."""

    def __init__(self) -> None:
        super().__init__("wrong name or password")


class SignInLimitedError(AccountError):
    """Too many failed sign-ins lately for this account name or from this address."""


class PasskeyError(AccountError):
    """A passkey could not be added or did not sign in. ``code`` says which way, for the page's message:
    ``expired`` (no live challenge: too slow, or already used), ``refused`` (the passkey is unknown, the
    signature or the origin wrong, the account disabled: one answer), ``unavailable`` (the site has no
    domain name for WebAuthn), ``invalid`` (a malformed request)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class CommentError(NewsdeskError):
    """A comment cannot be posted or changed as asked; ``code`` names why, for the page to say it in the
    reader's language (empty, too_long, banned, edit_window, no_target, reported, bad_parent)."""

    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.code = code


class CommentLimitedError(CommentError):
    """Too many comments from one account lately (per minute or per day)."""


class PersonalError(NewsdeskError):
    """A reader's follow, filter or bookmark cannot be kept as given (too long, too many, not a kind)."""


class ForbiddenError(NewsdeskError):
    """The request may not do this: no valid form token (CSRF), or not signed in as someone who may."""


class SourceExistsError(NewsdeskError):
    """A source with this URL is already subscribed."""


class FeedError(NewsdeskError):
    """Something went wrong with one feed; ``url`` says which."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url


class FetchError(FeedError):
    """The feed (or page) could not be downloaded.

    ``retry_after`` is the server's requested delay in seconds, when it gave one;
    ``permanent`` marks errors retrying will not fix soon (404, 410, refused address).
    """

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(url, reason)
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent


class BlockedAddressError(FetchError):
    """The URL resolves to an address the SSRF guard refuses (private, loopback, …)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason, permanent=True)


class TooLargeError(FetchError):
    """The body exceeded the configured size cap (checked while streaming, and again while inflating)."""

    @classmethod
    def over_cap(cls, url: str, noun: str, max_bytes: int, *, status: int | None = None) -> TooLargeError:
        """The one wording of this failure, wherever the cap is found exceeded: "feed larger than 10 MB"."""
        return cls(url, f"{noun} larger than {_size(max_bytes)}", status=status)


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g} MB"
    if n >= 1_000:
        return f"{n / 1_000:.3g} KB"
    return f"{n} bytes"


class RobotsDisallowedError(FetchError):
    """robots.txt forbids fetching this URL for our User-Agent."""

    def __init__(self, url: str, reason: str = "disallowed by robots.txt") -> None:
        super().__init__(url, reason, permanent=True)


class ParseError(FeedError):
    """The document is not a feed newsdesk can read."""


class DiscoveryError(FeedError):
    """No feed could be found at or linked from a site URL."""


class ArticleError(NewsdeskError):
    """Something went wrong with one article page; ``url`` says which."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url


class ExtractError(ArticleError):
    """The page was fetched but no article text could be extracted."""


class FileError(NewsdeskError):
    """A file the user named cannot be read or written (missing, a directory, not text); ``path`` says which."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class OPMLError(NewsdeskError):
    """An OPML document cannot be read."""


class AIError(NewsdeskError):
    """A model or LLM endpoint failed."""


class ModelLoadError(AIError):
    """A local model cannot be found or loaded; ``path`` says which file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path


class ModelIntegrityError(ModelLoadError):
    """A model file's sha256 differs from the pinned one: refused, never run."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        super().__init__(path, f"model file {path} has sha256 {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class EndpointError(AIError):
    """A remote model endpoint failed; ``url`` never carries the API key.

    ``status`` is the HTTP status when the server answered; ``retry_after`` its
    requested delay in seconds, when it gave one (429, 503).
    """

    def __init__(self, url: str, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.url = url
        self.status = status
        self.retry_after = retry_after
