"""Key 3: the ads report (channel, campaign, day), its forms."""
