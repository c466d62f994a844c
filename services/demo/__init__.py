"""The demo municipality: its world, a Blue Card procedure and a year of programme data."""
