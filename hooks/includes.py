"""MkDocs hook: a page whose `--8<--` include names a file pages may not include (only
files tracked by git under snippets/ and benchmarks/results/: engine/includes.py) fails
the build, naming the page's file and line. The `engine.includes` Markdown extension in
mkdocs.yml enforces the same rule on whatever Markdown reaches pymdownx.snippets."""

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from engine.includes import unsafe_includes


@event_priority(100)  # before any other hook or plugin sees the page
def on_page_markdown(markdown, page, config, **kwargs):
    root = Path(config.config_file_path).parent
    problems = unsafe_includes(page.file.content_string.splitlines(), root)
    if problems:
        src = Path(page.file.abs_src_path)
        where = src.relative_to(root) if src.is_relative_to(root) else src
        raise PluginError("\n".join(f"{where}:{n + 1}: {message}" for n, message in problems))
    return markdown
