"""The generated reference: docs pages, pictures and example parameter files."""
