#!/usr/bin/env bash
# Retrains the four default heads into models/heads/ exactly as models/README.md reports them.
# Run from the project root after `mvn -B -q -pl models/builder -am package -DskipTests`; needs ../shared/datasets/.
set -euo pipefail
D=${DATASETS:-../shared/datasets}
J="java -jar models/builder/target/model-builder.jar"

$J train --name ticket-routing --data $D/banking77/train.csv \
    --description "Routes banking support tickets and emails to one of the 77 BANKING77 intents."

$J train --name support-intent --data $D/clinc150/train.jsonl --validation $D/clinc150/val.jsonl \
    --lexical 1500 --fallback oos --fallback-recall 0.7 \
    --description "CLINC150 intents; oos when no in-scope intent reaches the fallback threshold (rule inside the graph)."

$J train --name email-intent --data $D/parakweet_email_intent/train.csv --labels intent,no_intent --lexical 10000 \
    --description "Does an email sentence ask the reader to do something? intent or no_intent."

$J train --name chat-moderation --data $D/davidson_hate_offensive/train.csv --data $D/sms_spam/train.csv \
    --map hate_speech=toxic,offensive=toxic,neither=safe,ham=safe --labels safe,toxic,spam \
    --lexical 10000 --examples models/tasks/chat-moderation.yaml --examples-weight 20 --print-confusion \
    --description "Moderates chat messages: safe, toxic (insults, threats, hate), spam."
