"""What keeps a process running: in-process projecting, periodic loops, logging."""
