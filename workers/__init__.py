"""Dramatiq broker and actors: the background work of csms."""
