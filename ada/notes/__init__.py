"""Note sequences for MusicVAE, the data side: the note-dataset format, the melody/drums/trio encodings,
extraction from MIDI and music21 scores, the built-in folk and chorale corpora, and MIDI, audio and
piano-roll output. The models and what they make live in ada.models, ada.generation and ada.evaluation."""
