"""Design: from an inventory of graded packs and modules to BESS units and portable products."""
