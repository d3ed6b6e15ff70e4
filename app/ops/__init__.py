"""Operations endpoints: the health check for load balancers and orchestrators."""
