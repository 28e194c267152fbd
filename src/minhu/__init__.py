"""minhu (民呼): a city platform that takes in citizens' requests and sees each one answered."""
