"""Note sequences for MusicVAE: the note-dataset format, the melody/drums/trio encodings, extraction
from MIDI and music21 scores, the built-in folk corpus, and MIDI, audio and piano-roll output."""
