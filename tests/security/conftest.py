"""The page fixtures (a world with passwords, a signing-in browser) for the security tests."""

from tests.functional.web.conftest import browser, cheap_hashes, kacper, logins  # noqa: F401 - fixtures
