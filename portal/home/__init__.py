"""Landing: send each user to the home page of his role."""
