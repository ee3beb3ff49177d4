"""Pure, Spark-free text functions shared by the stages."""
