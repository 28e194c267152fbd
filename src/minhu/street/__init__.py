"""The street sub-centre (街道分中心): the street's own dispatch inside it, its review and its settings."""
