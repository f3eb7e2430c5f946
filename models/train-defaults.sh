#!/usr/bin/env bash
# Retrains the four default models into models/heads/ (OUT=DIR writes elsewhere) exactly as models/README.md reports
# them: where models/README.md's rule picked it, the encoder is fine-tuned with LoRA and the shipped model refit on all
# the training rows (--final-fit); chat-moderation stays frozen and trained on its 80% split. Run from the project root after
# `mvn -B -q -pl models/builder -am package -DskipTests`; needs ../shared/datasets/. About 30 minutes on 2 cores.
set -euo pipefail
D=${DATASETS:-../shared/datasets}
O=${OUT:-models/heads}
# each command reports its wall time and peak memory when it ends
J() { /usr/bin/time -f "%e s wall, peak RSS %M KB" java -jar models/builder/target/model-builder.jar "$@"; }

J train --name ticket-routing --data $D/banking77/train.csv --fine-tune lora --final-fit --out $O \
    --description "Routes banking support tickets and emails to one of the 77 BANKING77 intents."

J train --name support-intent --data $D/clinc150/train.jsonl --validation $D/clinc150/val.jsonl \
    --lexical 1500 --fallback oos --fallback-recall 0.85 --fine-tune lora --final-fit --out $O \
    --description "CLINC150 intents; oos when no in-scope intent reaches the fallback threshold (rule inside the graph)."

J train --name email-intent --data $D/parakweet_email_intent/train.csv --labels intent,no_intent --lexical 10000 \
    --fine-tune lora --final-fit --out $O \
    --description "Does an email sentence ask the reader to do something? intent or no_intent."

J train --name chat-moderation --data $D/davidson_hate_offensive/train.csv --data $D/sms_spam/train.csv \
    --map hate_speech=toxic,offensive=toxic,neither=safe,ham=safe --labels safe,toxic,spam \
    --lexical 10000 --examples models/tasks/chat-moderation.yaml --examples-weight 20 --print-confusion \
    --out $O \
    --description "Moderates chat messages: safe, toxic (insults, threats, hate), spam."
