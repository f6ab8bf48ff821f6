"""Settings errors in words that never show a value: pydantic's own message prints the input
(``input_value={'bot_token': 'xoxb-…'}``), which for a misspelled table or key is a secret.

Only the location (``slack.bot_tokn``), pydantic's short message and the error type are shown.
"""

from __future__ import annotations

from pydantic import ValidationError

UNKNOWN_KEY = "extra_forbidden"


def _where(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: where, what is wrong, pydantic's error type; never the input."""
    lines = []
    for problem in error.errors(include_input=False, include_url=False, include_context=False):
        where = _where(problem["loc"])
        if problem["type"] == UNKNOWN_KEY:
            lines.append(f"{where}: unknown setting (misspelled key or table?) [{UNKNOWN_KEY}]")
        else:
            lines.append(f"{where}: {problem['msg']} [{problem['type']}]")
    count = len(lines)
    head = f"{count} problem{'s' if count != 1 else ''} in the settings (values not shown):"
    return "\n".join([head, *(f"  {line}" for line in lines)])


def describe_settings_error(error: Exception) -> str:
    """A message for any error raised while loading settings, with no input value in it.

    Validation errors are rebuilt from their parts; a missing config file or bad TOML keeps
    its own message (path and line, no values); anything else shows only its type, since its
    text could quote a value.
    """
    if isinstance(error, ValidationError):
        return describe_validation_error(error)
    if isinstance(error, OSError):
        return str(error)
    import tomllib

    if isinstance(error, tomllib.TOMLDecodeError):
        return f"the config file is not valid TOML: {error}"
    from pydantic_settings import SettingsError

    if isinstance(error, SettingsError):
        return str(error).split("\n", 1)[0]  # 'error parsing value for field "x" from source'
    return f"{type(error).__name__} (details hidden: they may contain a secret)"
