"""Model files: their headers and memory, the installed library, the catalog, the Hub, downloads."""
