"""Documentation stays true: every command and setting is documented where a newcomer looks."""

from __future__ import annotations

import re

from bot.config import REPO_ROOT, Settings
from bot.tg.commands import COMMANDS

README = (REPO_ROOT / "README.md").read_text()
ENV_EXAMPLE = (REPO_ROOT / ".env.example").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    assert first_block[0].startswith("TELEGRAM_BOT_TOKEN=") and first_block[0].endswith("make run")
    assert first_block[1] == "make test"
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_every_command_is_documented_in_the_readme():
    for command in COMMANDS:
        assert f"`/{command.name}`" in README, command.name


def test_every_setting_is_documented():
    for field in Settings.model_fields.values():
        name = field.validation_alias
        assert f"{name}=" in ENV_EXAMPLE, name
        assert f"`{name}`" in README, name


def test_help_descriptions_fit_telegram_menu_limits():
    for command in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.name)
        assert 3 <= len(command.description) <= 256
