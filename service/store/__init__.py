"""Plain parameterized SQL, one module per table. Functions take a cursor and never commit."""
