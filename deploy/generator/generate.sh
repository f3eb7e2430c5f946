#!/usr/bin/env bash
# Writes JSON events for one input topic to stdout, one per line, for kafka-console-producer (docker-compose.yml).
#   generate.sh emails|tickets|chats [COUNT]     (COUNT 0 or absent: forever; RATE events/s, default 5)
# Texts carry no quotes or backslashes, so they go into JSON as they are.
set -euo pipefail
kind="${1:?usage: generate.sh emails|tickets|chats [COUNT]}"
count="${2:-0}"
rate="${RATE:-5}"
pause=$(awk "BEGIN { print 1 / $rate }")

tickets=(
  "My card payment was declined twice at checkout, please help"
  "I want to close my account and get a refund for this month"
  "The app crashes every time I open the transfers page"
  "How do I change the email address on my profile?"
  "I was charged twice for the same order last week"
  "Cannot log in since the last update, password reset does not arrive"
)
chats=(
  "hey, are we still meeting at six tonight?"
  "thanks for the help yesterday, that fixed it"
  "WINNER!! Call now to claim your free prize, limited offer"
  "shut up you stupid idiot, nobody asked you"
  "click this link to get cheap followers fast"
  "see you tomorrow, have a nice evening"
)

i=0
while [ "$count" -eq 0 ] || [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  case "$kind" in
    tickets) text="${tickets[$((i % ${#tickets[@]}))]}"
             printf '{"id": "gen-t-%d", "customerId": "u%d", "subject": "Support request", "description": "%s"}\n' \
               "$i" "$((i % 97))" "$text" ;;
    emails)  text="${tickets[$(((i + 3) % ${#tickets[@]}))]}"
             printf '{"id": "gen-e-%d", "from": "user%d@example.com", "subject": "Question", "body": "%s"}\n' \
               "$i" "$((i % 97))" "$text" ;;
    chats)   text="${chats[$((i % ${#chats[@]}))]}"
             printf '{"id": "gen-c-%d", "conversationId": "room-%d", "userId": "u%d", "text": "%s"}\n' \
               "$i" "$((i % 7))" "$((i % 97))" "$text" ;;
    *) echo "unknown kind '$kind': emails, tickets or chats" >&2; exit 2 ;;
  esac
  sleep "$pause"
done
