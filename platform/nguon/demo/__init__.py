"""Demo data: a populated Hưng Yên tenant with candidates, helpers and logins at each level."""
