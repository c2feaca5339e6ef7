// board.h — the public side of the service desk: the message board (留言板) and the
// FAQ (常见问题).
//
// Message board. A patron posts a question from the portal; it waits (pending) until
// staff with board_moderate publish it or reject it with a reason. The public sees
// published posts only, without signing in: the poster as a masked name (张**) and the
// text with phones, e-mail addresses and ID numbers masked (redact.h; the moderator may
// correct the public text, which is masked again). Staff answer on the board; a post can
// become a ticket on the message_board channel with the poster as its patron, linked
// both ways (board_posts.ticket_id, unique). The poster sees their own posts with their
// state; each step is on their timeline.
//
//   pending --publish--> published      pending --reject(reason)--> rejected
//
// FAQ. An agent proposes a resolved consultation as an entry: question and answer are
// prefilled from the ticket's subject, first message and resolution with personal data
// removed (the patron's name, phones, e-mail addresses, ID numbers, the ticket number)
// and may be edited. A manager (faq_approve) approves or rejects it with a reason, never
// their own proposal. Editing a published entry leaves the published text live until
// the edit is approved. Retired entries leave the public FAQ.
//
//   proposed --approve--> published --retire--> retired
//      |  ^                  | edit: pending text, approve/reject it
//   reject |edit
//      v  |
//   rejected
//
// Published entries are in the catalogue's search index as documents of kind "faq"
// (search.h: the same folding, segmentation, pinyin and stemming), updated in the
// transaction that publishes, changes or retires them. The portal offers matching
// entries while a patron types a new question, and records what came of the offer:
// shown, "this answered my question" (a deflection), or a ticket opened anyway.
//
// Invariants: every change is one transaction with its audit entry and, for posts, a
// timeline event for the poster; nothing unpublished is ever answered to the public.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/tickets.h"
#include "store/db.h"

namespace dangan::service {

class Board {
 public:
  Board(store::Database& db, audit::ReadRecorder& reads, Desk& desk,
        const Clock& clock = system_clock());
  // The patron's name (for masking it and the poster's shown name); without it the
  // poster is shown as "读者".
  void on_patron_name(std::function<std::optional<std::string>(std::int64_t)> f) {
    patron_name_ = std::move(f);
  }

  // ---- message board
  // A patron posts {title, body}; it is pending until moderated.
  Result<nlohmann::json> post(const Actor& by, const nlohmann::json& body);
  // Published posts, newest first; `q` matches every word in the public text (folded).
  Result<nlohmann::json> public_posts(const std::string& q, const std::optional<std::string>& cursor,
                                      int limit);
  Result<nlohmann::json> public_post(std::int64_t id);
  // The patron's own posts, every state, newest first.
  Result<nlohmann::json> my_posts(const Actor& by, const std::optional<std::string>& cursor,
                                  int limit);
  // Staff (board_moderate or ticket_read): posts by state (default pending, oldest
  // first), or the post a ticket came from (ticket_id).
  Result<nlohmann::json> staff_posts(const Actor& by, const std::optional<std::string>& status,
                                     std::optional<std::int64_t> ticket_id, const std::string& q,
                                     const std::optional<std::string>& cursor, int limit);
  // One post with its original text (an audited read of personal data).
  Result<nlohmann::json> staff_post(const Actor& by, std::int64_t id);
  // {public_title?, public_body?}: publish, optionally with corrected public text.
  Result<nlohmann::json> publish(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Result<nlohmann::json> reject(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // {answer}: staff's public answer (masked like the post); on a pending or published post.
  Result<nlohmann::json> answer(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // {kind? (consultation), priority?}: a ticket on the message_board channel.
  Result<nlohmann::json> to_ticket(const Actor& by, std::int64_t id, const nlohmann::json& body);

  // ---- FAQ
  // The prefilled proposal for a resolved (or closed) consultation.
  Result<nlohmann::json> faq_draft(const Actor& by, std::int64_t ticket_id);
  // {ticket_id?, question?, answer?}: missing text is taken from the ticket's draft.
  Result<nlohmann::json> propose_faq(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> faq_entries(const Actor& by, const std::optional<std::string>& status,
                                     const std::string& q, const std::optional<std::string>& cursor,
                                     int limit);
  Result<nlohmann::json> faq_entry(const Actor& by, std::int64_t id);
  // {question?, answer?}: a proposed or rejected entry changes (and is proposed again);
  // a published one gets pending text awaiting approval.
  Result<nlohmann::json> edit_faq(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // action: approve, reject {reason}, retire.
  Result<nlohmann::json> decide_faq(const Actor& by, std::int64_t id, const std::string& action,
                                    const nlohmann::json& body);
  // Public: published entries matching `q` (the catalogue's search), or all, by use.
  Result<nlohmann::json> public_faq(const std::string& q, int limit);
  Result<nlohmann::json> public_faq_entry(std::int64_t id);
  // {shown: [ids], answered_by?: id}: the entries offered to someone asking a question,
  // and the one that answered it, if any (otherwise they went on to open a ticket).
  Result<nlohmann::json> faq_feedback(const Actor& by, const nlohmann::json& body);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  Desk& desk_;
  const Clock& clock_;
  std::function<std::optional<std::string>(std::int64_t)> patron_name_;

  std::optional<std::string> name_of(std::int64_t patron_id) const;
};

}  // namespace dangan::service
