"""MkDocs hook: a Content-Security-Policy `<meta>` on every page (engine/sanitize.py): scripts
only from the site itself, plus the theme's inline scripts and the iframe-worker shim's
(file:// search) by hash. Should a page's HTML ever get past the sanitizer, its inline
handlers, `javascript:` URLs, inline scripts, frames and plugins still do not run."""

from pathlib import Path

from engine.sanitize import with_content_security_policy


def _with_csp(output, config):
    shims = [Path(config.docs_dir) / p for p in config.extra.get("polyfills", []) if "iframe-worker" in p]
    # a site without the vendored shim file (the test fixtures' small sites) has no shim script
    shim = shims[0].read_text("utf-8") if shims and shims[0].is_file() else None
    return with_content_security_policy(output, shim)


def on_post_page(output, page, config, **kwargs):
    return _with_csp(output, config)


def on_post_template(output_content, template_name, config, **kwargs):
    """The theme's pages that have no Markdown source (404.html)."""
    return _with_csp(output_content, config) if template_name.endswith(".html") else output_content
