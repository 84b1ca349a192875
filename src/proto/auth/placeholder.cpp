namespace barrel_p2p::auth {}
