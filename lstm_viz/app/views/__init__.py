"""One file per view. Views draw what the AppState holds and report gestures; they never compute gates."""
