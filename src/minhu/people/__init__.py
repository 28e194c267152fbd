"""People figures (人员): what grid workers find and solve, their patrols and visits, communities' staffing."""
