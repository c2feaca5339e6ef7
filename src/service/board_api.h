// board_api.h — routes of the message board and the FAQ (board.h): the public ones need
// no session (published posts and FAQ entries only); the rest are the portal's and staff's.
#pragma once
#include "http/api.h"
#include "service/board.h"

namespace dangan::service {

void register_board_routes(http::Api& api, Board& board);

}  // namespace dangan::service
