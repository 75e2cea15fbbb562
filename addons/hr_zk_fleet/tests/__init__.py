from . import test_fleet_alerts, test_fleet_overview, test_tour_fleet_overview
