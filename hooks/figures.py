"""MkDocs hook: the site's figures, drawn at build time by snippets/figures*.py (the same
code docs/qa/optimizer-trajectories.md runs and checks), in a sandboxed page process
(engine.figures), never in the build process. Each figure comes in a light and a dark
version (assets/figures/NAME-light.svg, NAME-dark.svg); pages show the one that matches
the palette with Material's #only-light / #only-dark.
"""

from pathlib import Path

from mkdocs.structure.files import File

from engine.figures import draw_figures


def on_files(files, config):
    for path, svg in draw_figures(Path(config.config_file_path).parent).items():
        files.append(File.generated(config, path, content=svg))
    return files
