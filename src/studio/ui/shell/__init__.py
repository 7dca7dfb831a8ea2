"""The application shell: QApplication set-up, main window, jobs panel, error display."""
