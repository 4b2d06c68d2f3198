#!/usr/bin/env python3
"""Build every template into output/ (see `python build.py --help`)."""

from patch_templates.builder import main

if __name__ == "__main__":
    main()
