"""Pure helpers with no Django app imports: workdays, codes, text, identity numbers."""
