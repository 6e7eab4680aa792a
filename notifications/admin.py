# Notifications are no one's to edit: the admin does not show them (they are a user's own).
