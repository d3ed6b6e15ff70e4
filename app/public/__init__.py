"""Public pages: home, sections, articles and their live view counts."""
