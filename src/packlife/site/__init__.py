"""Sites: scenarios, the main job (`packlife simulate`), reports."""
