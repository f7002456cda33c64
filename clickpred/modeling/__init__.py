"""What learns: specs, feature preprocessing, rebalancing, classifiers, custom estimators, the pipeline factory."""
