"""MkDocs hook: draw the site's figures at build time from snippets/figures.py, the same
code docs/qa/optimizer-trajectories.md runs and checks. Each figure comes in a light and
a dark version (assets/figures/NAME-light.svg, NAME-dark.svg); pages show the one that
matches the palette with Material's #only-light / #only-dark.
"""

import sys
from pathlib import Path

from mkdocs.structure.files import File


def on_files(files, config):
    root = Path(config.config_file_path).parent
    if not (root / "snippets" / "figures.py").is_file():
        return files  # a site without figures (the test fixtures); a page that links one fails the build
    sys.path.insert(0, str(root))
    import importlib

    # every snippets/figures*.py module with a draw_all(dark) -> {name: svg}
    for module_file in sorted((root / "snippets").glob("figures*.py")):
        draw_all = importlib.import_module(f"snippets.{module_file.stem}").draw_all
        for scheme, dark in (("light", False), ("dark", True)):
            for name, svg in draw_all(dark).items():
                files.append(File.generated(config, f"assets/figures/{name}-{scheme}.svg", content=svg))
    return files
