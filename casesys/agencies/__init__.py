"""Regions (GB/T 2260) and the agencies that sit in them."""
