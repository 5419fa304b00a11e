"""Planning: school years, activities, calendars, bookings and attendance."""
