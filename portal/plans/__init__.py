"""Floor plans (户型图) of a project and the pins that mark where a defect or a concealed-works photo is."""
