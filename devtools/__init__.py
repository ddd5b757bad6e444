"""Developer tools for platformio-tinyml: not part of the installed package."""
