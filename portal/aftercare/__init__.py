"""After the pass: completion acceptance, warranty card, repairs, complaints and the owner's page."""
